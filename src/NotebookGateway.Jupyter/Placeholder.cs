namespace NotebookGateway.Jupyter;
