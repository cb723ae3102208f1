"""Channel-neutral cards and their per-channel templates."""
