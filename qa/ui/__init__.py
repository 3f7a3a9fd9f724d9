"""The pieces of the Gradio app that are plain Python: conversation state, HTML rendering, handlers."""
