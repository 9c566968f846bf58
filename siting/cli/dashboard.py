"""``amayesh dashboard``: start the Streamlit planning dashboard on this machine (127.0.0.1 only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

#: The Streamlit script, in the checkout beside the installed (editable) ``siting`` package.
APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


def streamlit_command(port: int, max_upload_mb: int = 100, app: Path = APP) -> list[str]:
    """The ``streamlit run`` command line: loopback only, headless, no usage statistics, XSRF on, static files on."""
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.enableXsrfProtection", "true",
        "--server.enableStaticServing", "true",
        "--server.maxUploadSize", str(max_upload_mb),
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
    ]


@click.command()
@click.option("--data", "data", default=None, help="Data the dashboard opens with: 'embedded' (default) or a folder (official layout or data contract).")
@click.option("--port", type=int, default=8501, show_default=True, help="Port on 127.0.0.1.")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of saved scenarios and uploads (default: runs/dashboard in the checkout).")
@click.option("--max-upload-mb", type=int, default=100, show_default=True, help="Largest file a planner may upload.")
def dashboard(data: str | None, port: int, workspace: Path | None, max_upload_mb: int) -> None:
    """Start the planning dashboard (Streamlit) at http://127.0.0.1:PORT.

    It binds to 127.0.0.1 only, keeps XSRF protection on, needs no network (maps and fonts are
    served locally) and plans with the same functions as `amayesh plan`. Saved scenarios are kept in
    the workspace as NAME.yaml and the run folder NAME/.
    """
    if not APP.exists():
        raise click.ClickException(f"{APP} not found: run `amayesh dashboard` from a checkout installed with `make install`")
    env = dict(os.environ)
    if data is not None:
        env["AMAYESH_DASHBOARD_DATA"] = data if data == "embedded" else str(Path(data).resolve())
    if workspace is not None:
        env["AMAYESH_DASHBOARD_HOME"] = str(workspace.resolve())
    env["AMAYESH_DASHBOARD_MAX_UPLOAD_MB"] = str(max_upload_mb)
    click.echo(f"Amayesh dashboard on http://127.0.0.1:{port} (Ctrl+C to stop)")
    try:
        completed = subprocess.run(streamlit_command(port, max_upload_mb), cwd=APP.parent, env=env, check=False)
    except KeyboardInterrupt:
        return
    if completed.returncode not in (0, -2, 130):
        raise SystemExit(completed.returncode)
