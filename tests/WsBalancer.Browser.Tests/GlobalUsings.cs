global using Xunit;
global using WsBalancer.IntegrationTests.Infrastructure;
