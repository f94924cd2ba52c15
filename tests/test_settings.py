"""Settings declared once: the command line's options, defaults and checks come from the config dataclasses."""

import dataclasses

import pytest

from gwm_engine.cli import build_parser
from gwm_engine.errors import InvalidInput
from gwm_engine.evaluation.config import QualityConfig
from gwm_engine.server.config import ServerConfig
from gwm_engine.training.config import TrainConfig


def subcommand(name: str):
    """The parser of one command (argparse keeps them in its subparsers action)."""
    (commands,) = [a for a in build_parser()._actions if a.dest == "command"]
    return commands.choices[name]


@pytest.mark.parametrize("command, config", [("train", TrainConfig), ("eval", QualityConfig)])
def test_options_take_their_defaults_and_help_from_the_config(command, config):
    options = {a.dest: a for a in subcommand(command)._actions if a.dest != "help"}
    fields = {f.name: f for f in dataclasses.fields(config) if f.metadata.get("cli")}
    assert options.keys() == fields.keys()
    defaults = config()
    for name, action in options.items():
        assert action.default == getattr(defaults, name)  # e.g. train --steps is TrainConfig().steps
        assert action.help.startswith(fields[name].metadata["help"])


def test_every_option_of_every_command_has_help_with_its_default():
    for name in ("demo", "scene", "data", "train", "eval", "export", "serve"):
        for action in subcommand(name)._actions:
            assert action.help, f"{name} {action.option_strings} has no help"
            if action.default not in (None, False, "==SUPPRESS==") and not action.required:
                assert "default" in action.help, f"{name} {action.option_strings}: {action.help}"


def test_ranges_are_checked_with_invalid_input():
    with pytest.raises(InvalidInput, match="--own-fill is a share of replays"):
        TrainConfig(own_fill=2).validate()
    with pytest.raises(InvalidInput, match="--workers must be at least 0, got -1"):
        TrainConfig(workers=-1).validate()
    with pytest.raises(InvalidInput, match="--trajectories must be at least 1, got 0"):
        QualityConfig(trajectories=0).validate()
    with pytest.raises(InvalidInput, match="port must be in 0..65535"):
        ServerConfig(port=70000).validate()
