"""Fleet scale: executors, tasks, the manifest and the dataset view."""
