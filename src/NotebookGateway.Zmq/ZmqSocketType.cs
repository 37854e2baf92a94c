namespace NotebookGateway.Zmq;

/// <summary>libzmq socket types (values from zmq.h).</summary>
public enum ZmqSocketType
{
    Pair = 0,
    Pub = 1,
    Sub = 2,
    Req = 3,
    Rep = 4,
    Dealer = 5,
    Router = 6,
    Pull = 7,
    Push = 8,
    XPub = 9,
    XSub = 10,
}
