"""The chat page (Gradio): ``rag serve`` calls ``ui.app.serve``."""
