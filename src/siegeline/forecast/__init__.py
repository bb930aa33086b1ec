"""Forecasts from a date: the model's distribution of each observable kind past an origin."""

from siegeline.forecast.core import SERIES, Forecast, forecast

__all__ = ["SERIES", "Forecast", "forecast"]
