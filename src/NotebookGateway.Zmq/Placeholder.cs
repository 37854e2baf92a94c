namespace NotebookGateway.Zmq;
