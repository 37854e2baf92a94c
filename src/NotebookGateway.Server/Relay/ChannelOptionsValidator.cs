using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.Relay;

public sealed class ChannelOptionsValidator : IValidateOptions<ChannelOptions>
{
    public ValidateOptionsResult Validate(string? name, ChannelOptions options)
    {
        var errors = new List<string>();
        void Positive(string setting, double value)
        {
            if (value <= 0)
            {
                errors.Add($"Channels:{setting} must be greater than 0 (it is {value}).");
            }
        }
        Positive(nameof(options.OfflineBufferMessages), options.OfflineBufferMessages);
        Positive(nameof(options.OfflineBufferBytes), options.OfflineBufferBytes);
        Positive(nameof(options.OfflineBufferSeconds), options.OfflineBufferSeconds);
        Positive(nameof(options.OutputBytesPerCell), options.OutputBytesPerCell);
        Positive(nameof(options.IOPubMessagesPerSecond), options.IOPubMessagesPerSecond);
        Positive(nameof(options.IOPubBytesPerSecond), options.IOPubBytesPerSecond);
        Positive(nameof(options.RateWindowSeconds), options.RateWindowSeconds);
        Positive(nameof(options.MaxClientMessageBytes), options.MaxClientMessageBytes);
        Positive(nameof(options.PingIntervalSeconds), options.PingIntervalSeconds);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
