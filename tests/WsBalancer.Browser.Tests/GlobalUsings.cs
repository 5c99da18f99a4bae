global using Xunit;
global using WsBalancer.IntegrationTests.Infrastructure;

[assembly: AssemblyFixture(typeof(WsBalancer.Browser.Tests.Support.BrowserFixture))]
