"""The baseline: a bare Flask endpoint that only answers `success`."""
from flask import Flask

app = Flask(__name__)


@app.post("/wecom/callback")
def callback() -> str:
    """Answer like our endpoint, doing nothing else."""
    return "success"
