namespace NotebookGateway.Jupyter.Tests;
