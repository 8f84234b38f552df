"""Model folders: the fitted model, manifest and canary; written atomically, verified on load."""
