using System.Threading.Channels;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// Work a request hands off so its own answer takes the same time whatever the work turns out to be (a mail to an
/// address that may have no account, an audit entry for an account that may not exist). A full queue drops the item,
/// which also bounds the memory a flood can take; one background reader drains it.
/// </summary>
public abstract class OffRequestInbox<T>
{
    private readonly Channel<T> _channel = Channel.CreateBounded<T>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Enqueue(T item) => _channel.Writer.TryWrite(item);

    public ChannelReader<T> Reader => _channel.Reader;
}
