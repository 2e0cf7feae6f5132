"""The DVC stages dvc.yaml runs, one module each (python -m stages.<name>)."""
