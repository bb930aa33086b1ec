"""siegeline: model, forecast and plan the fuel supply of a city under armed interdiction."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("siegeline")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
