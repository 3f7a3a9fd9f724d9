"""The Gradio app: the app itself, conversation state, HTML rendering and the buttons' handlers."""
