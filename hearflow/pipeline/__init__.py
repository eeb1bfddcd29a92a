"""The pipeline: the stages for a set of settings (engine), the ordered step list (steps), the
in-process runner (runner, inprocess), the archive run (archive) and the one tail (tail)."""
