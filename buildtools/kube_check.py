"""`make lint`: validate deploy/kubernetes offline — every manifest file and every
rendered kustomization — against the Kubernetes OpenAPI schemas that
kubernetes-validate ships (strict: unknown fields are errors), for the oldest and
the newest Kubernetes we support. No cluster needed.

    python -m buildtools.kube_check             # validate everything
    python -m buildtools.kube_check render DIR  # print what `kubectl kustomize DIR` prints
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

from buildtools.kustomize_lite import KustomizeError, Object, dump, load_documents, render

ROOT = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
# Native gRPC probes are GA from 1.27 and preStop `sleep` from 1.30 (beta, on by default).
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")

# kubernetes-validate knows only built-in kinds. For CloudNativePG's Cluster we check
# the fields our example uses against their types in the operator's CRD (v1).
CLOUDNATIVEPG_CLUSTER: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "postgresql.cnpg.io/v1"},
        "kind": {"const": "Cluster"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["instances", "storage"],
            "properties": {
                "instances": {"type": "integer", "minimum": 1},
                "imageName": {"type": "string"},
                "postgresql": {
                    "type": "object",
                    "properties": {
                        "parameters": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        }
                    },
                },
                "bootstrap": {
                    "type": "object",
                    "properties": {
                        "initdb": {
                            "type": "object",
                            "properties": {
                                "database": {"type": "string"},
                                "owner": {"type": "string"},
                            },
                        }
                    },
                },
                "storage": {
                    "type": "object",
                    "required": ["size"],
                    "properties": {"size": {"type": "string"}, "storageClass": {"type": "string"}},
                },
                "resources": {"type": "object"},
                "monitoring": {"type": "object"},
            },
        },
    },
}
CUSTOM_SCHEMAS = {("postgresql.cnpg.io/v1", "Cluster"): CLOUDNATIVEPG_CLUSTER}


def _name(obj: Object) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def validate_object(obj: Object) -> list[str]:
    """Problems with one object ([] when valid for every supported version)."""
    custom = CUSTOM_SCHEMAS.get((obj.get("apiVersion", ""), obj.get("kind", "")))
    if custom is not None:
        errors = jsonschema.Draft7Validator(custom).iter_errors(obj)
        return [f"{_name(obj)}: {e.json_path}: {e.message}" for e in errors]
    problems = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = "/".join(str(p) for p in error.path)
            problems.append(f"{_name(obj)} (Kubernetes {version}): {where}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{_name(obj)}: no schema for {obj.get('apiVersion')} (unknown kind)")
    return problems


def manifest_files(root: Path = ROOT) -> Iterator[Path]:
    """YAML files holding Kubernetes objects (not kustomizations, not JSON patches)."""
    for path in sorted(root.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        documents = load_documents(path)
        if documents and all(isinstance(d, dict) and "kind" in d for d in documents):
            yield path


def kustomizations(root: Path = ROOT) -> Iterator[Path]:
    for path in sorted(root.rglob("kustomization.yaml")):
        yield path.parent


def check(root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    files = list(manifest_files(root))
    for path in files:
        for obj in load_documents(path):
            problems += [f"{path.relative_to(root)}: {p}" for p in validate_object(obj)]
    directories = list(kustomizations(root))
    for directory in directories:
        label = directory.relative_to(root)
        try:
            rendered = render(directory)
        except (KustomizeError, OSError) as error:
            problems.append(f"{label}: cannot render: {error}")
            continue
        for obj in rendered:
            problems += [f"{label} (rendered): {p}" for p in validate_object(obj)]
    if not problems:
        print(
            f"deploy/kubernetes: {len(files)} manifest files and {len(directories)} rendered "
            f"kustomizations valid for Kubernetes {' and '.join(KUBERNETES_VERSIONS)}"
        )
    return problems


def main(argv: list[str]) -> int:
    if argv[:1] == ["render"] and len(argv) == 2:
        print(dump(render(Path(argv[1]))), end="")
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
