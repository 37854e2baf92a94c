namespace NotebookGateway.Docker.Tests;
