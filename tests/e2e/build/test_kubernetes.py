"""deploy/kubernetes stays in step with the code: every setting is wired, the values
parse, the probes ask the health names the server answers, selectors match, and
every manifest and rendered overlay is valid (the same check as `make lint`).
No cluster is needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from buildtools import kube_check
from buildtools.kustomize_lite import KustomizeError, apply_operation, load_documents, render
from opengovfood.cli import build_parser
from opengovfood.config import Settings
from opengovfood.rpc.health import LIVENESS

ROOT = kube_check.ROOT
SETTINGS = {f"OPENGOVFOOD_{name.upper()}" for name in Settings.model_fields}
OVERLAYS = sorted(p.name for p in (ROOT / "overlays").iterdir())


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _config_keys() -> tuple[dict[str, str], dict[str, str]]:
    (config,) = load_documents(ROOT / "base" / "configmap.yaml")
    (secret,) = load_documents(ROOT / "base" / "secret.example.yaml")
    return config["data"], secret["stringData"]


def test_every_setting_is_in_the_configmap_or_the_secret() -> None:
    config, secret = _config_keys()
    assert not set(config) & set(secret), "a setting is both in the ConfigMap and the Secret"
    missing = sorted(SETTINGS - set(config) - set(secret))
    assert not missing, (
        f"add {', '.join(missing)} to deploy/kubernetes/base/configmap.yaml "
        "(or to base/secret.example.yaml if it is a secret)"
    )
    assert sorted(set(config) | set(secret)) == sorted(SETTINGS), "a key is not a setting"


def _settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in SETTINGS:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


def test_production_values_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    config, secret = _config_keys()
    settings = _settings_from({**config, **secret}, monkeypatch)
    assert settings.env == "production"
    assert settings.address == "0.0.0.0:50051"
    assert settings.workers == 1
    assert not settings.migrate_on_start  # the Job migrates
    assert settings.max_concurrent_rpcs is None  # "" is the default
    assert settings.redis_url == "redis://opengovfood-redis:6379/0"


def test_dev_overlay_values_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = render(ROOT / "overlays" / "dev")
    config = _one(objects, "ConfigMap", "opengovfood-config")["data"]
    secret = _one(objects, "Secret", "opengovfood-secrets")["stringData"]
    settings = _settings_from({**config, **secret}, monkeypatch)
    assert settings.env == "development"
    assert settings.database_url.endswith("@opengovfood-postgres:5432/opengovfood")
    assert _one(objects, "Deployment", "opengovfood")["spec"]["replicas"] == 1


def test_graceful_stop_fits_the_pod_termination(monkeypatch: pytest.MonkeyPatch) -> None:
    config, secret = _config_keys()
    grace = _settings_from({**config, **secret}, monkeypatch).grace_period
    (deployment,) = load_documents(ROOT / "base" / "deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    pre_stop = pod["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] > pre_stop + grace


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_wiring(overlay: str) -> None:
    objects = render(ROOT / "overlays" / overlay)
    deployment = _one(objects, "Deployment", "opengovfood")
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for name in ("opengovfood", "opengovfood-headless"):
        assert _one(objects, "Service", name)["spec"]["selector"].items() <= labels.items()
    assert _one(objects, "Service", "opengovfood-headless")["spec"]["clusterIP"] == "None"

    (server,) = pod["spec"]["containers"]
    security = server["securityContext"]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert {m["mountPath"] for m in server["volumeMounts"]} >= {"/data", "/tmp"}
    assert server["resources"]["requests"]["cpu"]
    assert server["resources"]["limits"]["memory"]

    parser = build_parser()
    assert parser.parse_args(server["args"][1:]).handler.__name__ == "cmd_serve"
    job = _one(objects, "Job", "opengovfood-migrate")
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert parser.parse_args(migrate["args"][1:]).handler.__name__ == "cmd_db_upgrade"
    assert migrate["image"] == server["image"]  # the same release migrates

    # The probes ask for health names the server answers: "" (readiness follows the
    # database) and LIVENESS (the process answers), natively or through the CLI.
    probes = {kind: server[kind] for kind in ("readinessProbe", "livenessProbe")}
    for kind, probe in probes.items():
        expected = "" if kind == "readinessProbe" else LIVENESS
        if "grpc" in probe:
            assert probe["grpc"] == {"port": 50051, "service": expected}
        else:
            args = parser.parse_args(probe["exec"]["command"][1:])
            assert args.handler.__name__ == "cmd_health"
            assert args.service == expected

    if overlay.startswith("production"):
        hpa = _one(objects, "HorizontalPodAutoscaler", "opengovfood")
        assert hpa["spec"]["scaleTargetRef"]["name"] == "opengovfood"
        assert hpa["spec"]["minReplicas"] >= 3
        pdb = _one(objects, "PodDisruptionBudget", "opengovfood")
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert "replicas" not in deployment["spec"]  # the HPA owns it
        assert all(o["metadata"]["namespace"] == "opengovfood" for o in objects)


def test_every_manifest_and_rendered_overlay_is_valid() -> None:
    assert kube_check.check() == []


def test_the_validation_rejects_a_wrong_manifest() -> None:
    (deployment,) = load_documents(ROOT / "base" / "deployment.yaml")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    problems = kube_check.validate_object(deployment)
    assert problems
    assert "readinesProbe" in problems[0]


def test_json6902_operations() -> None:
    doc: dict[str, Any] = {"a": {"list": [1, 2], "x": 1}}
    apply_operation(doc, {"op": "add", "path": "/a/list/-", "value": 3})
    apply_operation(doc, {"op": "add", "path": "/a/list/0", "value": 0})
    apply_operation(doc, {"op": "replace", "path": "/a/x", "value": {"y": 2}})
    apply_operation(doc, {"op": "remove", "path": "/a/list/1"})
    apply_operation(doc, {"op": "add", "path": "/a/new~1key", "value": True})
    assert doc == {"a": {"list": [0, 2, 3], "x": {"y": 2}, "new/key": True}}
    for bad in (
        {"op": "replace", "path": "/a/missing", "value": 1},
        {"op": "remove", "path": "/nope/x"},
        {"op": "move", "path": "/a", "from": "/b"},
        {"op": "add", "path": "/a/list/9", "value": 1},
    ):
        with pytest.raises(KustomizeError):
            apply_operation(doc, bad)


def test_renderer_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonLabels: {a: b}\n")
    with pytest.raises(KustomizeError, match="unsupported fields"):
        render(tmp_path)


def test_images_and_namespace(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [job.yaml]\n")
    (tmp_path / "base" / "job.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - {name: c, image: 'reg:5000/app:1'}\n"
        "        - {name: d, image: other}\n"
    )
    (tmp_path / "kustomization.yaml").write_text(
        "namespace: ns\nresources: [base]\n"
        "images: [{name: 'reg:5000/app', newName: mirror/app, newTag: '2'}]\n"
    )
    (job,) = render(tmp_path)
    containers = job["spec"]["template"]["spec"]["containers"]
    assert [c["image"] for c in containers] == ["mirror/app:2", "other"]
    assert job["metadata"]["namespace"] == "ns"
