"""The deployment recipe parses and fits together: compose services, ports and the rag config that points at them
(Docker cannot run here; this checks syntax and wiring, not the containers)."""

from pathlib import Path

import yaml

from rag.core.config import load_settings
from tests.helpers import DEPLOY


def test_compose_file_defines_milvus_standalone_and_vllm():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"etcd", "minio", "milvus", "vllm"} <= set(services)
    milvus = services["milvus"]
    assert milvus["command"] == ["milvus", "run", "standalone"]
    assert milvus["environment"]["ETCD_ENDPOINTS"] == "etcd:2379" and milvus["environment"]["MINIO_ADDRESS"] == "minio:9000"
    assert set(milvus["depends_on"]) == {"etcd", "minio"}
    assert "19530:19530" in milvus["ports"] and "8000:8000" in services["vllm"]["ports"]
    assert "--served-model-name" in services["vllm"]["command"]
    for name, service in services.items():
        assert "image" in service and "healthcheck" in service, name


def test_deploy_config_points_at_the_compose_services():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    settings = load_settings(DEPLOY / "rag.toml")
    assert settings.store == "milvus" and settings.backend == "openai" and settings.openai_configured
    assert settings.milvus_uri.endswith(":19530") and settings.openai_base_url.endswith(":8000/v1")
    vllm = compose["services"]["vllm"]["command"]
    assert vllm[vllm.index("--served-model-name") + 1] == settings.openai_model
    assert not settings.milvus_token  # secrets come from the environment, never from the file
    assert Path(settings.milvus_uri).suffix != ".db"  # a server, not Milvus Lite
