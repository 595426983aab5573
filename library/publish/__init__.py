"""Publishing the library as a static website (``reflib publish``); see :mod:`library.publish.site`."""

from .config import PublishConfig, PublishConfigError, config_for, load_config, parse_config
from .site import PublishReport, publish_site

__all__ = ["PublishConfig", "PublishConfigError", "PublishReport", "config_for", "load_config", "parse_config",
           "publish_site"]
