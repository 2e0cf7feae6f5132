"""User-facing errors: one line that names the problem and the fix, no traceback."""


class UserError(Exception):
    """Bad input or params. The message is shown to the user as-is, on one line."""


class ConfigError(UserError):
    """A params.yaml value has the wrong type, range or choice."""


class DataError(UserError):
    """The data cannot support the requested operation (missing column, class too small, ...)."""


def unknown_choice(param: str, value: object, choices) -> ConfigError:
    """The error for a registry lookup miss; lists every valid choice, and says which entry a name other
    write-ups use means here (a registry's `aliases`, e.g. train.loss 'bce')."""
    import difflib

    valid = ", ".join(sorted(choices))
    alias = getattr(choices, "aliases", {}).get(value)
    if alias:
        known = f"{value!r} is {alias[0]} here ({alias[1]}): use {param}={alias[0]}"
        return ConfigError(f"{param}: unknown value {value!r}; {known}; valid values are: {valid}")
    if close := difflib.get_close_matches(str(value), [str(c) for c in choices], n=1):
        return ConfigError(f"{param}: unknown value {value!r}; did you mean {close[0]!r}? Valid values are: {valid}")
    return ConfigError(f"{param}: unknown value {value!r}; valid values are: {valid}")


def lookup(registry: dict, param: str, name: str):
    """registry[name], or a ConfigError listing the registry's keys."""
    try:
        return registry[name]
    except (KeyError, TypeError):
        raise unknown_choice(param, name, registry) from None
