namespace NotebookGateway.Zmq.Tests;
