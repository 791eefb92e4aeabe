from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    """Source systems, mapping, standardisation and ingestion."""

    name = "connectors"
    verbose_name = "Connectors"
