"""No key reaches the config's stored or shown text (issue 26): a ``base_url`` with a user and
password, a query string or a fragment is refused, as is a key pasted as ``api_key_env``; each
with one line that does not show the value, through load_config (what every command runs) and
through ModelSpec itself (pydantic's own error text)."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from scoring.config import ConfigError, ModelSpec, PlanBConfig, load_config

KEY = "sk-proj-4fQ9xZ2mW7rT1vB8nK3pL6yH0cD5jGaa"
SPEC = {"name": "served", "role": "small", "backend": "openai", "base_url": "http://localhost:8000/v1",
        "template": {"kind": "chat"}}
LARGE = {**SPEC, "name": "big", "role": "large"}


def _shown(text: str, secret: str) -> bool:
    """Any 6 characters of ``secret`` (its public prefix aside) in ``text``."""
    body = secret.removeprefix("sk-proj-")
    return any(body[i:i + 6] in text for i in range(len(body) - 5))


def _load(tmp_path, **change) -> str:
    path = tmp_path / "planb.yaml"
    path.write_text(yaml.safe_dump({"models": {"small": {**SPEC, **change}}}), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    return str(refused.value)


BAD_URLS = {
    "user and password": (f"https://me:{KEY}@api.example.com/v1", "must not contain a user or password"),
    "key as the user": (f"https://{KEY}@api.example.com/v1", "must not contain a user or password"),
    "key in the query": (f"https://api.example.com/v1?api_key={KEY}", "must not have a query string"),
    "key among other parameters": (f"https://api.example.com/v1?api-version=2024-06-01&key={KEY}",
                                   "must not have a query string"),
    "key as a bare query": (f"https://api.example.com/v1?{KEY}", "must not have a query string"),
    "key in a fragment": (f"https://api.example.com/v1#{KEY}", "must not have a query string or #fragment"),
    "key as the port": (f"https://api.example.com:{KEY}/v1", "has a port that is not a number"),
    "no scheme": (f"{KEY}@api.example.com/v1", "must start with http:// or https://"),
}


@pytest.mark.parametrize("case", BAD_URLS)
def test_a_base_url_with_a_secret_is_refused_without_showing_it(tmp_path, case):
    url, reason = BAD_URLS[case]
    message = _load(tmp_path, base_url=url)
    assert "models.small.base_url: " in message and reason in message, message
    assert "\n" not in message and not _shown(message, KEY), message
    with pytest.raises(ValidationError) as refused:  # pydantic's own text shows no input either
        ModelSpec(**{**SPEC, "base_url": url})
    assert not _shown(str(refused.value), KEY), str(refused.value)
    with pytest.raises(ValidationError) as refused:  # nor the whole config's, where a model spec is nested
        PlanBConfig.model_validate({"models": {"small": {**SPEC, "base_url": url}, "large": LARGE}})
    assert not _shown(str(refused.value), KEY), str(refused.value)


KEYS_AS_NAMES = ["sk_live_51HxQ2mK9aLw3ZbT7rVq", KEY.replace("-", "_"), "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5",
                 "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "AKIAIOSFODNN7EXAMPLE", "0123456789abcdef0123456789abcdef",
                 KEY, "Bearer " + KEY]


@pytest.mark.parametrize("value", KEYS_AS_NAMES)
def test_a_key_given_as_api_key_env_is_refused_without_showing_it(tmp_path, value):
    message = _load(tmp_path, api_key_env=value)
    assert message.split(": ", 2)[1] == "models.small.api_key_env", message
    assert "not the key itself" in message or "looks like a key itself" in message, message
    assert "\n" not in message and value not in message and not any(
        value[i:i + 8] in message for i in range(len(value) - 7) if not value[i:i + 8].isalpha()), message


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "together_key", "HF_TOKEN",
                                  "MY_LLM_KEY_PROD_2024", "ANTHROPIC_API_KEY"])
def test_ordinary_variable_names_are_accepted(tmp_path, name):
    path = tmp_path / "planb.yaml"
    path.write_text(yaml.safe_dump({"models": {"small": {**SPEC, "api_key_env": name}}}), encoding="utf-8")
    assert load_config(path).models["small"].api_key_env == name


@pytest.mark.parametrize("url", ["http://localhost:8000/v1", "https://api.openai.com/v1/",
                                 "https://gateway.ai.cloudflare.com/v1/0123456789abcdef0123456789abcdef/gw/openai",
                                 "http://[::1]:8080/v1"])
def test_ordinary_base_urls_are_accepted(tmp_path, url):
    path = tmp_path / "planb.yaml"
    path.write_text(yaml.safe_dump({"models": {"small": {**SPEC, "base_url": url}}}), encoding="utf-8")
    assert load_config(path).models["small"].base_url == url.rstrip("/")
