using System.Text.Json;
using NotebookGateway.Docker.Models;

namespace NotebookGateway.Docker.Tests.Models;

public sealed class SerializationTests
{
    [Fact]
    public void DeserializeInspect_EnginePayload_ReadsStateAndEnvelope()
    {
        const string json = """
            {"Id":"abc","Name":"/kernel-1","Created":"2026-11-22T04:14:10.123456789Z",
             "State":{"Status":"exited","Running":false,"Paused":false,"Restarting":false,"OOMKilled":true,"Dead":false,
                      "Pid":0,"ExitCode":137,"Error":"","StartedAt":"2026-11-22T04:14:10.5Z","FinishedAt":"0001-01-01T00:00:00Z"},
             "HostConfig":{"NetworkMode":"none","ReadonlyRootfs":true,"CapDrop":["ALL"],"PidsLimit":64,"Memory":67108864,
                           "MemorySwap":67108864,"NanoCpus":500000000,"Ulimits":[{"Name":"nofile","Hard":256,"Soft":256}],
                           "Tmpfs":{"/tmp":"size=16m"},"Init":true,"Privileged":false,"Binds":null},
             "Config":{"Labels":{"a":"b"},"User":"65534:65534","StopTimeout":null},
             "Mounts":[{"Type":"volume","Name":"ws","Destination":"/work","RW":true}]}
            """;

        var inspect = JsonSerializer.Deserialize(json, DockerJsonContext.Default.ContainerInspectResponse)!;

        Assert.Equal("/kernel-1", inspect.Name);
        Assert.True(inspect.State!.OomKilled);
        Assert.Equal(137, inspect.State.ExitCode);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 4, 14, 10, 500, TimeSpan.Zero), inspect.State.StartedAt);
        Assert.Equal(DateTimeOffset.MinValue, inspect.State.FinishedAt);
        Assert.Equal(67108864, inspect.HostConfig!.MemorySwap);
        Assert.Equal(256, inspect.HostConfig.Ulimits![0].Soft);
        Assert.Null(inspect.HostConfig.Binds);
        Assert.Equal("b", inspect.Config!.Labels!["a"]);
        Assert.True(inspect.Mounts![0].ReadWrite);
    }

    [Fact]
    public void Serialize_VolumeCreateRequest_OmitsNulls()
    {
        var json = JsonSerializer.Serialize(new VolumeCreateRequest { Name = "ws" }, DockerJsonContext.Default.VolumeCreateRequest);

        Assert.Equal("""{"Name":"ws"}""", json);
    }

    [Fact]
    public void DockerFiltersToJson_RepeatedValues_DeduplicatedAndSorted()
    {
        var filters = new DockerFilters().Add("type", "container").Label("a", "1").Label("a", "1").Label("b");

        Assert.Equal("""{"label":["a=1","b"],"type":["container"]}""", filters.ToJson());
        Assert.False(filters.IsEmpty);
        Assert.True(new DockerFilters().IsEmpty);
    }
}
