"""Piccolo's configuration module (PICCOLO_CONF=server.db.piccolo_conf), used by migrations."""

from piccolo.conf.apps import AppRegistry

from server.config import get_settings
from server.db.engine import make_engine
from server.db.registry import APP_MODULES

DB = make_engine(get_settings())

APP_REGISTRY = AppRegistry(apps=APP_MODULES)
