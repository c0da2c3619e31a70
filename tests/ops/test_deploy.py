"""Deployment files parse and agree with the code (no Docker engine or cluster is needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.circle_config import CircleConfig
from bot.rule import default_registry
from bot.settings import ProcessSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def manifests() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in documents(f"k8s/{path.name}"):
            found[doc["kind"]] = doc
    return found


def env_names() -> set[str]:
    return {f"CIRCLEBOT_{name.upper()}" for name in ProcessSettings.model_fields}


def test_dockerfile_is_slim_non_root_with_a_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "USER 10001" in text and "useradd" in text
    healthcheck = next(line for line in text.splitlines() if "urlopen" in line)
    assert "/healthz" in healthcheck
    assert text.rstrip().endswith('CMD ["circlebot", "run"]')
    for line in text.splitlines():  # every variable it sets is one the bot reads
        for word in line.replace("ENV ", "").split():
            if word.startswith("CIRCLEBOT_"):
                assert word.split("=")[0] in env_names()


def test_compose_runs_migrations_before_the_bot_and_waits_for_a_healthy_database() -> None:
    (compose,) = documents("compose.yaml")
    services = compose["services"]
    assert set(services) == {"db", "migrate", "bot"}
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["circlebot", "db", "upgrade"]
    bot = services["bot"]
    assert bot["command"] == ["circlebot", "run"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert set(bot["environment"]) <= env_names()
    assert bot["environment"]["CIRCLEBOT_DATABASE_URL"].startswith("postgresql://")
    example = {line.split("=")[0] for line in (DEPLOY / "env.example").read_text().splitlines()}
    assert {n for n in example if n.startswith("CIRCLEBOT_")} <= env_names()


def test_kubernetes_manifests_fit_together() -> None:
    found = manifests()
    assert set(found) == {
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "Secret",
        "Kustomization",
    }
    deployment = found["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    assert found["Service"]["spec"]["selector"] == labels
    assert found["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == labels
    pod = deployment["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    assert init["command"] == ["circlebot", "db", "upgrade"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    env = {e["name"]: e for e in container["env"]}
    assert set(env) <= env_names()
    secret_keys = set(found["Secret"]["stringData"])
    for entry in [*container["env"], *init["env"]]:
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["name"] == found["Secret"]["metadata"]["name"]
            assert ref["key"] in secret_keys
    mount = container["volumeMounts"][0]["mountPath"]
    assert env["CIRCLEBOT_CONFIG_FILE"]["value"] == f"{mount}/circle.yaml"
    assert pod["volumes"][0]["configMap"]["name"] == found["ConfigMap"]["metadata"]["name"]
    kustomized = set(found["Kustomization"]["resources"])
    assert "secret.example.yaml" not in kustomized and "deployment.yaml" in kustomized


@pytest.mark.parametrize("source", ["configmap", "example"])
def test_shipped_community_configs_are_valid(source: str) -> None:
    if source == "configmap":
        text = manifests()["ConfigMap"]["data"]["circle.yaml"]
    else:
        text = (DEPLOY / "circle.example.yaml").read_text()
    config = CircleConfig.from_text(text, default_registry(), source=source)
    assert config.for_community("slack:T1").community.timezone == "Europe/Madrid"
