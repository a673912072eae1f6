"""``python -m eval QA_FILE [options]``: exactly ``rag eval`` (the same click command)."""

from eval.command import eval_command

if __name__ == "__main__":
    eval_command(prog_name="python -m eval")
