namespace NotebookGateway.Docker;
