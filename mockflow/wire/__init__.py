"""The wire format: routes from MLflow's proto descriptors, request parsing, JSON, error bodies."""
