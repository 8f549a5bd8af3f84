"""The configuration files in deploy/ are valid: every YAML parses, both Plan B configs pass
validation, the example documents every key, the Kubernetes files agree with each other, and
Dagster validates the Kubernetes code location (as far as this machine allows: no cluster)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import BaseModel

from scoring.config import ModelSpec, PlanBConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"


def _documents(path: Path) -> list:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every key path of a config model: sample.per_day, models.*.base_url, ..."""
    found = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        found.add(path)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found |= _keys(annotation, f"{path}.")
    return found


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.yaml")), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path):
    assert _documents(path)


@pytest.mark.parametrize("path", [DEPLOY / "planb.example.yaml", K8S / "planb.yaml"], ids=["example", "k8s"])
def test_plan_b_configs_pass_validation(path):
    cfg = load_config(path)
    assert cfg.models["small"].role == "small" and cfg.models["large"].role == "large"


def test_the_example_documents_every_key():
    text = (DEPLOY / "planb.example.yaml").read_text(encoding="utf-8")
    keys = _keys(PlanBConfig) | {f"models.{name}" for name in ModelSpec.model_fields}
    undocumented = sorted(k for k in keys if f"{k.rsplit('.', 1)[-1]}:" not in text)
    assert not undocumented, f"keys missing from deploy/planb.example.yaml: {undocumented}"


def test_kubernetes_files_agree():
    cfg = load_config(K8S / "planb.yaml")
    values = _documents(K8S / "values.yaml")[0]
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    grpc_args = deployment["dagsterApiGrpcArgs"]
    assert (ROOT / grpc_args[grpc_args.index("-f") + 1]).is_file()
    env = {e["name"]: e["value"] for e in deployment["env"]}
    assert env["PLANB_CONFIG"] == "/app/deploy/k8s/planb.yaml"
    assert values["runLauncher"]["type"] == "K8sRunLauncher" and values["postgresql"]["enabled"]
    assert values["concurrency"]["pools"]["defaultLimit"] == 1
    mounts = {m["mountPath"] for m in deployment["volumeMounts"]}
    assert any(str(cfg.data_dir).startswith(m) for m in mounts)  # the warehouse lives on the shared volume

    # The large model is the vLLM Service, with the key from the Secret both sides read.
    large = cfg.models["large"]
    vllm = {doc["kind"]: doc for doc in _documents(K8S / "vllm.yaml")}
    service, container = vllm["Service"], vllm["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    url = urlsplit(large.base_url)
    assert url.hostname == f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc.cluster.local"
    assert url.port == service["spec"]["ports"][0]["port"]
    secret = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}[large.api_key_env]
    assert {"name": secret["name"]} in deployment["envSecrets"] and secret["key"] == large.api_key_env
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "4"
    claims = {doc["metadata"]["name"] for doc in _documents(K8S / "storage.yaml")}
    assert {v["persistentVolumeClaim"]["claimName"] for v in deployment["volumes"]} <= claims


needs_dagster_k8s = pytest.mark.skipif(importlib.util.find_spec("dagster_k8s") is None,
                                       reason="dagster-k8s not installed (`make install` adds it)")


@needs_dagster_k8s
def test_dagster_validates_the_kubernetes_code_location(tmp_path):
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-f", "deploy/k8s/definitions.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path), "PLANB_CONFIG": str(K8S / "planb.yaml")},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "All code locations passed validation" in done.stdout + done.stderr


@needs_dagster_k8s
def test_the_k8s_executor_config_is_valid_for_the_nightly_job():
    import dagster as dg
    from dagster_k8s import k8s_job_executor

    from assets.definitions import build_definitions

    spec = importlib.util.spec_from_file_location("k8s_definitions", K8S / "definitions.py")
    k8s = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(k8s)
    job = build_definitions(executor=k8s_job_executor).resolve_job_def("planb_nightly")
    # .configured() checks nothing until a run starts: check the config against dagster-k8s' schema now.
    dg.validate_run_config(job, {"execution": {"config": k8s.EXECUTOR_CONFIG}})
    per_step = k8s.EXECUTOR_CONFIG["per_step_k8s_config"]
    assert set(per_step) <= {node.name for node in job.graph.nodes}  # names real steps
    # The per-step settings are free-form there: check them as the Kubernetes models they become.
    import kubernetes.client as k
    from dagster_k8s.job import UserDefinedDagsterK8sConfig
    from dagster_k8s.models import k8s_model_from_dict

    for step_config in (k8s.EXECUTOR_CONFIG["step_k8s_config"], *per_step.values()):
        assert set(step_config) <= set(UserDefinedDagsterK8sConfig._fields)
        user = UserDefinedDagsterK8sConfig.from_dict(step_config)
        k8s_model_from_dict(k.V1Container, {"name": "step", **user.container_config})
        k8s_model_from_dict(k.V1PodSpec, {"containers": [], **user.pod_spec_config})
    assert per_step["small_replays"]["container_config"]["resources"]["limits"]["nvidia.com/gpu"] == "1"
