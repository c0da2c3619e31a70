"""YAML as `circle.yaml` means it: `22:30` is a clock time, never YAML 1.1's base-60 number."""

from __future__ import annotations

import re
from typing import Any

import yaml

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
# PyYAML's YAML 1.1 patterns without their base-60 alternatives (`22:30` -> 1350).
_INT_PATTERN = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_FLOAT_PATTERN = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that `h:mm` and `h:mm:ss` stay text."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


ConfigLoader.add_implicit_resolver(_INT, _INT_PATTERN, list("-+0123456789"))
ConfigLoader.add_implicit_resolver(_FLOAT, _FLOAT_PATTERN, list("-+0123456789."))


def load_config_yaml(text: str) -> Any:
    """Parse `text` with `ConfigLoader`; raises `yaml.YAMLError` like `yaml.safe_load`."""
    return yaml.load(text, Loader=ConfigLoader)  # a SafeLoader: builds plain data only
