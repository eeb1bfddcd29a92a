"""Plugins: the hooks (hookspecs), the stage base classes (stages), the registry, and the
manager that loads plugins and calls their hooks."""
