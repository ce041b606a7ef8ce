"""The worker process: runs the workflows and activities of the award."""
