"""Plan B's code location on Kubernetes: the same assets, checks, jobs, schedule and sensor as
assets/definitions.py, run by dagster-k8s' k8s_job_executor (each step a Kubernetes Job of its
own). The small model's replay step asks for a GPU; the large model is served by vLLM
(deploy/k8s/vllm.yaml) behind the openai backend, so its step is an HTTP client on a CPU.

Loaded by the user-code deployment of deploy/k8s/values.yaml:
    dagster api grpc -f deploy/k8s/definitions.py -d /app
"""

import dagster as dg
from dagster_k8s import k8s_job_executor

from assets.definitions import build_definitions

GPU_STEP = {
    "container_config": {"resources": {
        "requests": {"cpu": "4", "memory": "32Gi", "nvidia.com/gpu": "1"},
        "limits": {"memory": "64Gi", "nvidia.com/gpu": "1"},
    }},
    # GPU nodes are usually tainted so that only pods asking for a GPU land there.
    "pod_spec_config": {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]},
}
CPU_STEP = {"container_config": {"resources": {"requests": {"cpu": "1", "memory": "4Gi"},
                                               "limits": {"memory": "8Gi"}}}}

EXECUTOR_CONFIG = {
    "step_k8s_config": CPU_STEP,  # every step not named below
    # Step keys are the asset names. Give large_replays GPU_STEP too if models.large runs on
    # the transformers backend instead of vLLM.
    "per_step_k8s_config": {"small_replays": GPU_STEP, "agreement": GPU_STEP},
    "max_concurrent": 4,  # steps of one run at once; the gpu and duckdb_writer pools still apply
}

@dg.definitions
def defs() -> dg.Definitions:
    """Built when the code server loads it, from $PLANB_CONFIG (deploy/k8s/values.yaml)."""
    return build_definitions(executor=k8s_job_executor.configured(EXECUTOR_CONFIG))
