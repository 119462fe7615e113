"""`hmiqa` on the command line: a surface like api/ and ui/, calling `Assistant` (and, for `hmiqa eval`,
the evaluation) so that the library never imports the evaluation."""
