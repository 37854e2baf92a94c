using System.Runtime.InteropServices;
using NotebookGateway.Zmq.Interop;

namespace NotebookGateway.Zmq;

/// <summary>A failed libzmq call, with the typed error and the raw errno.</summary>
public sealed class ZmqException : Exception
{
    public ZmqException(string operation, int errno)
        : base($"{operation} failed: {Describe(errno)} (errno {errno})")
    {
        Operation = operation;
        Errno = errno;
        Error = Enum.IsDefined(typeof(ZmqError), errno) ? (ZmqError)errno : ZmqError.Other;
    }

    public ZmqException() : this("zmq", 0)
    {
    }

    public ZmqException(string message) : base(message)
    {
        Operation = "zmq";
    }

    public ZmqException(string message, Exception innerException) : base(message, innerException)
    {
        Operation = "zmq";
    }

    public string Operation { get; } = "zmq";

    public int Errno { get; }

    public ZmqError Error { get; }

    internal static ZmqException FromLastError(string operation) => new(operation, LibZmq.Errno());

    private static string Describe(int errno) =>
        errno == 0 ? "unknown error" : Marshal.PtrToStringUTF8(LibZmq.StrError(errno)) ?? "unknown error";
}
