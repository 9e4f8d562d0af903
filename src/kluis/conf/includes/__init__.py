"""Kluis settings by concern; `kluis.conf.settings` imports these modules in order."""
