"""Render a kustomization the way `kubectl kustomize` does, for the few features
deploy/kubernetes uses, so `make lint` can validate the overlays offline on a
machine with python3 only (kustomize is a Go binary nobody installs here).

Supported, exactly as kustomize defines them: `resources` (files, and directories
holding a kustomization.yaml), `namespace` (set on every namespaced object),
`images` (name -> newName/newTag/digest on containers and initContainers), and
`patches` of JSON 6902 operations (add, remove, replace) from `path` or inline
`patch`, with a `target` of kind and name. Anything else is refused, not ignored:
an overlay that needs more must switch to real kustomize.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Object = dict[str, Any]

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
# Where container lists live in the kinds we render.
POD_SPEC_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


class KustomizeError(ValueError):
    """The kustomization uses something this renderer does not support, or is wrong."""


def load_documents(path: Path) -> list[Object]:
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def render(directory: Path) -> list[Object]:
    """The objects `kubectl kustomize DIRECTORY` prints, in resource order."""
    kustomization_file = directory / "kustomization.yaml"
    if not kustomization_file.is_file():
        raise KustomizeError(f"{directory}: no kustomization.yaml")
    spec = yaml.safe_load(kustomization_file.read_text(encoding="utf-8")) or {}
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{kustomization_file}: unsupported fields {sorted(unknown)}")
    objects: list[Object] = []
    for entry in spec.get("resources", []):
        target = (directory / entry).resolve()
        if target.is_dir():
            objects += render(target)
        elif target.is_file():
            objects += load_documents(target)
        else:
            raise KustomizeError(f"{kustomization_file}: no such resource {entry!r}")
    _check_unique(objects, kustomization_file)
    for patch in spec.get("patches", []):
        _apply_patch(objects, patch, directory)
    for image in spec.get("images", []):
        _set_image(objects, image)
    if "namespace" in spec:
        for obj in objects:
            if obj.get("kind") not in CLUSTER_SCOPED:
                obj.setdefault("metadata", {})["namespace"] = spec["namespace"]
    return objects


def _key(obj: Object) -> tuple[str, str]:
    return obj.get("kind", ""), obj.get("metadata", {}).get("name", "")


def _check_unique(objects: list[Object], where: Path) -> None:
    seen: set[tuple[str, str]] = set()
    for obj in objects:
        if _key(obj) in seen:
            raise KustomizeError(f"{where}: {_key(obj)} is defined twice")
        seen.add(_key(obj))


def _apply_patch(objects: list[Object], patch: Object, directory: Path) -> None:
    unknown = set(patch) - {"path", "patch", "target"}
    if unknown or ("path" in patch) == ("patch" in patch):
        raise KustomizeError(f"a patch needs `path` or `patch`, and a `target`: {patch}")
    target = patch.get("target") or {}
    if set(target) - {"kind", "name"} or not {"kind", "name"} <= set(target):
        raise KustomizeError(f"patch targets are kind and name only: {target}")
    text = (
        (directory / patch["path"]).read_text(encoding="utf-8")
        if "path" in patch
        else patch["patch"]
    )
    operations = yaml.safe_load(text)
    if not isinstance(operations, list):
        raise KustomizeError(f"{patch}: only JSON 6902 patches (a list of operations)")
    matches = [o for o in objects if _key(o) == (target["kind"], target["name"])]
    if not matches:
        raise KustomizeError(f"patch target {target} matches no resource")
    for obj in matches:
        for operation in operations:
            apply_operation(obj, operation)


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise KustomizeError(f"not a JSON pointer: {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]


def apply_operation(document: Object, operation: Object) -> None:
    """One RFC 6902 operation (add, remove, replace), in place."""
    op = operation.get("op")
    if op not in ("add", "remove", "replace"):
        raise KustomizeError(f"unsupported patch operation {op!r}")
    *parents, last = _pointer(operation["path"])
    node: Any = document
    for part in parents:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError):
            raise KustomizeError(f"{operation['path']}: no such path") from None
    value = copy.deepcopy(operation.get("value"))
    if isinstance(node, list):
        if op == "add" and last == "-":
            node.append(value)
            return
        try:
            index = int(last)
        except ValueError:
            raise KustomizeError(f"{operation['path']}: not a list index") from None
        if not 0 <= index < len(node) + (1 if op == "add" else 0):
            raise KustomizeError(f"{operation['path']}: index out of range")
        if op == "add":
            node.insert(index, value)
        elif op == "remove":
            del node[index]
        else:
            node[index] = value
        return
    if not isinstance(node, dict):
        raise KustomizeError(f"{operation['path']}: parent is not an object or list")
    if op in ("remove", "replace") and last not in node:
        raise KustomizeError(f"{operation['path']}: nothing to {op}")
    if op == "remove":
        del node[last]
    else:
        node[last] = value


def _set_image(objects: list[Object], image: Object) -> None:
    unknown = set(image) - {"name", "newName", "newTag", "digest"}
    if unknown or "name" not in image:
        raise KustomizeError(f"unsupported image entry {image}")
    for obj in objects:
        path = POD_SPEC_PATHS.get(obj.get("kind", ""))
        if path is None:
            continue
        pod: Any = obj
        for part in path:
            pod = pod.get(part, {})
        for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
            name, tag, digest = _split_image(container["image"])
            if name != image["name"]:
                continue
            name = image.get("newName", name)
            if "digest" in image:
                container["image"] = f"{name}@{image['digest']}"
            elif "newTag" in image:
                container["image"] = f"{name}:{image['newTag']}"
            else:
                container["image"] = name + (f"@{digest}" if digest else f":{tag}" if tag else "")


def _split_image(reference: str) -> tuple[str, str, str]:
    """name, tag, digest of an image reference (a registry port is not a tag)."""
    name, _, digest = reference.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :], digest
    return name, "", digest


def dump(objects: list[Object]) -> str:
    text: str = yaml.safe_dump_all(objects, sort_keys=False, default_flow_style=False)
    return text
