"""The chat page: ``build_app`` lays it out around a given Assistant; ``serve`` runs it.

``serve`` is the only place that constructs an Assistant: it opens the page at once and loads
the index and models in a background thread, the page saying so meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from rag.assistant import Assistant
from rag.settings import Settings

from . import render
from .chat import PASSAGES_RANGE, TOKENS_RANGE, UPLOAD_SUFFIXES, ChatPage, Conversation, within
from .loader import AssistantLoader

log = logging.getLogger(__name__)

EXAMPLES = [
    "What was the 2020 motto of the Ministry of Home Affairs?",
    "Biên chế công chức năm 2021 là bao nhiêu?",
    "Who chaired the 2023 review?",
    "Ai chủ trì hội nghị năm 2022?",
]
# Requests handled at once. Most are turned away by the Gate within milliseconds; the few in its
# line hold a worker thread each (Gradio has 40). Beyond HANDLERS + QUEUE_SIZE requests at once,
# Gradio itself refuses with an HTTP 503.
HANDLERS = 64
QUEUE_SIZE = 64

CSS = """
#sources .rag-source { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 12px; margin-bottom: 10px; background: var(--background-fill-secondary); }
#sources .rag-num { font-weight: 600; color: var(--color-accent); }
#sources .rag-title { font-weight: 600; }
#sources .rag-date { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 2px 0 6px; }
#sources .rag-passage { margin: 0; padding-left: 10px; white-space: pre-wrap; font-size: 0.92em;
  border-left: 3px solid var(--border-color-primary); max-height: 22em; overflow-y: auto; }
#sources mark { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.rag-note { color: var(--body-text-color-subdued); font-style: italic; padding: 6px 0; }
"""
# System fonts: the default theme would fetch Google Fonts, and the page must work offline.
THEME = gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
_PROGRESS = gr.Progress()


def build_app(
    assistant_or_loader: Assistant | AssistantLoader | Callable[[], Assistant], settings: Settings
) -> gr.Blocks:
    """The page around an Assistant, or around a loader still making one (an AssistantLoader,
    or a function that returns the Assistant, then run in the background). It builds no model.
    """
    if isinstance(assistant_or_loader, AssistantLoader):
        loader = assistant_or_loader
    elif isinstance(assistant_or_loader, Assistant):
        loader = AssistantLoader.ready(assistant_or_loader)
    else:
        loader = AssistantLoader(assistant_or_loader).start()
    page = ChatPage(loader, settings)

    def refresh() -> tuple[str, gr.Timer]:
        return page.status(), gr.Timer(active=loader.state == "loading")

    # Gradio finds the progress bar by this default value.
    def add_files(files: list[str] | None, progress: Any = _PROGRESS) -> tuple[str, str, None]:
        return page.add_files(files, progress), page.status(), None

    def show_sources(conv: Conversation | None, event: gr.SelectData) -> Any:
        index = event.index[0] if isinstance(event.index, list | tuple) else event.index
        panel = page.sources_of(conv, index) if isinstance(index, int) else None
        return gr.skip() if panel is None else panel

    def clear() -> tuple[list[Any], str, Conversation, str]:
        return [], render.EMPTY_SOURCES, Conversation(), ""

    with gr.Blocks(title="Vietnamese news Q&A", analytics_enabled=False,
                   delete_cache=(3600, 3600)) as demo:  # fmt: skip
        gr.Markdown(
            "## Ask the news articles\n"
            "Questions in Vietnamese or English. Answers come from the articles only, with "
            "their sources; follow-ups such as *And in 2023?* are understood."
        )
        status = gr.Markdown(page.status(), elem_id="status")
        conv = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat", elem_id="chat", height=520, buttons=["copy"],
                    feedback_options=None, group_consecutive_messages=False,
                    allow_tags=False, latex_delimiters=[],  # answers are plain text
                    placeholder="Ask a question, or pick an example below.",
                )  # fmt: skip
                with gr.Row():
                    question = gr.Textbox(
                        show_label=False, placeholder="Your question…", scale=5,
                        max_length=settings.max_question_chars, elem_id="question",
                    )  # fmt: skip
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                gr.Examples([[q] for q in EXAMPLES], inputs=[question], label="Examples")
                new_chat = gr.Button("Clear chat", variant="secondary", elem_id="clear")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(render.EMPTY_SOURCES, elem_id="sources")
                with gr.Accordion("Answer settings", open=False):
                    passages = gr.Slider(
                        *PASSAGES_RANGE, step=1, label="Passages the answer may use",
                        value=within(settings.context_passages, PASSAGES_RANGE),
                    )  # fmt: skip
                    max_tokens = gr.Slider(
                        *TOKENS_RANGE, step=32, label="Longest answer (tokens)",
                        value=within(settings.max_new_tokens, TOKENS_RANGE),
                    )  # fmt: skip
                with gr.Accordion("Add articles", open=False):
                    files = gr.File(
                        label="Upload .txt or .jsonl articles", file_count="multiple",
                        file_types=list(UPLOAD_SUFFIXES), type="filepath", elem_id="upload",
                    )  # fmt: skip
                    upload_note = gr.Markdown(elem_id="upload-note")
        timer = gr.Timer(1.0, active=loader.state == "loading")

        answering = gr.on(
            [question.submit, ask.click], page.respond,
            inputs=[question, conv, passages, max_tokens],
            outputs=[chatbot, sources, conv, question],
            # Every request reaches the handler at once: its Gate serves one at a time, keeps
            # a bounded line and turns the rest away with a chat message (ui/gate.py).
            concurrency_id="answer", concurrency_limit=HANDLERS, show_progress="minimal",
            api_visibility="private",
        )  # fmt: skip
        for trigger in (new_chat.click, chatbot.clear):
            trigger(clear, None, [chatbot, sources, conv, question], cancels=[answering],
                    queue=False, api_visibility="private")  # fmt: skip
        chatbot.select(show_sources, [conv], [sources], queue=False, api_visibility="private")
        # Indexing waits in the answers' line (the Gate): one thing uses the models at a time.
        files.upload(add_files, [files], [upload_note, status, files],
                     concurrency_id="upload", api_visibility="private")  # fmt: skip
        timer.tick(refresh, None, [status, timer], queue=False, api_visibility="private")
        demo.load(refresh, None, [status, timer], queue=False, api_visibility="private")
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_SIZE, api_open=False)
    return demo


def launch(
    demo: gr.Blocks,
    host: str,
    port: int,
    *,
    block: bool = True,
    max_upload_bytes: int | None = None,
) -> Any:
    """Start the server with the safe defaults: no share link, no files served but Gradio's own.

    Gradio refuses an upload over ``max_upload_bytes`` (default: the settings' bound per file)
    while receiving it, before anything of ours reads it.
    """
    max_upload = max_upload_bytes or Settings.model_fields["upload_max_bytes"].default
    return demo.launch(
        server_name=host, server_port=port, share=False, allowed_paths=[], show_error=False,
        max_file_size=max_upload, ssr_mode=False, mcp_server=False, run_history=False,
        inbrowser=False, prevent_thread_lock=not block, quiet=not block, css=CSS, theme=THEME,
        footer_links=["gradio"],
    )  # fmt: skip


def serve(
    settings: Settings,
    index_dir: Path | str | None = None,
    *,
    host: str,
    port: int,
) -> None:
    """Open the page now; the Assistant loads meanwhile (``rag serve``, whose options hold the
    default address)."""

    def load() -> Assistant:
        assistant = Assistant.load(index_dir, settings)
        assistant.warm_up()
        log.info("assistant ready: %d articles", len(assistant.index.articles))
        return assistant

    loader = AssistantLoader(load).start()
    launch(build_app(loader, settings), host, port, max_upload_bytes=settings.upload_max_bytes)
