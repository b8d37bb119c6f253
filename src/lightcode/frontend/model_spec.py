"""ModelSpec: resolve a preset name or a config.json path into a validated Hugging Face config dict."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lightcode.errors import BadInputError, ConfigError
from lightcode.frontend.presets import PRESETS, preset_names


@dataclass(frozen=True)
class ModelSpec:
    name: str  # preset name, or the config path as given
    config: dict[str, Any]  # HF config.json keys

    @property
    def config_hash(self) -> str:
        blob = json.dumps(self.config, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @property
    def max_positions(self) -> int | None:
        """The position limit (None: none, ALiBi); see `position_limit`."""
        return self.position_limit()[0]

    def position_limit(self) -> tuple[int | None, str | None]:
        """(limit, note): the config.json's own key if it has one, else the model's config class default
        (Falcon: 2048); ALiBi models have none and accept any length, with a note saying so."""
        from lightcode.frontend.arch import position_limit_config, position_limit_raw, uses_alibi

        if uses_alibi(self.config):
            return None, f"{self.name}: ALiBi positions, no position limit; any length is accepted."
        raw = position_limit_raw(self.config)
        if raw is not None:
            return raw, None
        cached = _CLASS_LIMITS.get(self.config_hash)
        if cached is None:
            from lightcode.frontend.hfconfig import build_config  # the config class: transformers, not torch

            limit = position_limit_config(build_config(self))
            if limit is None:
                raise ConfigError(f"{self.name}: neither the config nor its transformers class gives a position "
                                  "limit (max_position_embeddings / n_positions / seq_length); add one.")
            cached = _CLASS_LIMITS[self.config_hash] = limit
        return cached, None


_CLASS_LIMITS: dict[str, int] = {}


def resolve_model(model: str) -> ModelSpec:
    """A preset name, a path to a config.json, or a directory holding one."""
    if model in PRESETS:
        return ModelSpec(model, dict(PRESETS[model]))
    path = Path(model).expanduser()
    looks_like_path = path.suffix == ".json" or "/" in model or path.exists()
    if not looks_like_path:
        close = difflib.get_close_matches(model, preset_names(), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise BadInputError(
            f"unknown model {model!r}.{hint} Known presets: {', '.join(preset_names())}; "
            "or pass a path to a Hugging Face config.json (or a directory holding one)."
        )
    if path.is_dir():
        path = path / "config.json"
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file; pass a Hugging Face config.json or a directory holding one.")
    try:
        cfg = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{path}: malformed JSON ({e}); fix the file or use a preset.") from None
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: a config.json must hold a JSON object, got {type(cfg).__name__}.")
    if "model_type" not in cfg:
        raise ConfigError(f"{path}: missing 'model_type'; a Hugging Face config.json names its architecture there.")
    return ModelSpec(str(model), cfg)
