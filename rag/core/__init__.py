"""Core: the records that flow between stages (types), errors, configuration and defaults, the Protocols between
stages, the plug-in registries, citation anchor strings, and the answer-in-progress marker. Imports no other stage."""
