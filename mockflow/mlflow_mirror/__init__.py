"""The one boundary between mockflow and MLflow's private code and behaviour (see issue 12)."""
