namespace NotebookGateway.Testing;
