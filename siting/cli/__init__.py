"""The ``amayesh`` command line: one group, a module per subcommand (in the style of ``rio``)."""
