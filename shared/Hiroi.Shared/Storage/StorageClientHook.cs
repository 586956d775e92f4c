using Azure.Core;

namespace Hiroi.Shared.Storage;

/// <summary>
/// A change to every storage client's options, applied after the retry settings where the clients are made
/// (<see cref="StorageAccount"/>). Registered in DI; the fault tests add a pipeline policy through it.
/// </summary>
public sealed record StorageClientHook(Action<ClientOptions> Configure);
