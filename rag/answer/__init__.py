"""From passages to a checked answer: what the generator reads, the prompt, reading the reply,
and the checks an answer must pass to be given."""
