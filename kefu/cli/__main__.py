from kefu.cli import app

app()
