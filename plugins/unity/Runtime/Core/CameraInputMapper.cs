// Player input to camera actions, kept out of the Unity components so it is tested.
//
// Frame-rate independence: held keys and sticks are rates (m/s, deg/s) scaled by the frame's
// delta time, so a second of holding W moves MoveSpeedMps metres at 30 fps and at 144 fps alike.
// Mouse deltas are already distances (pixels moved this frame) and are not scaled.
//
// Handedness: Unity's input reads "+x is right"; the world's yaw is + to the LEFT (world.proto),
// so turning right is a negative yaw. Pitch + looks up in both.

using System;

namespace GwmEngine
{
    /// <summary>One frame of player input, in engine-neutral terms.</summary>
    public struct CameraInputSample
    {
        /// <summary>Held movement axes in [-1, 1]: + right, + up, + forward.</summary>
        public double Right, Up, Forward;
        /// <summary>Held look axes in [-1, 1] (gamepad stick, arrow keys): + right, + up.</summary>
        public double LookRight, LookUp;
        /// <summary>Held roll axis in [-1, 1]: + tilts the image counter-clockwise.</summary>
        public double Roll;
        /// <summary>Mouse movement this frame, pixels: + right, + up.</summary>
        public double MouseDeltaX, MouseDeltaY;
        /// <summary>Multiplies the move speed while held (e.g. Shift); 1 when not.</summary>
        public double SpeedMultiplier;
    }

    public sealed class CameraInputSettings
    {
        public double MoveSpeedMps = 1.5;
        public double TurnSpeedDegPerS = 90;
        public double MouseDegPerPixel = 0.15;
        public bool InvertMouseY;
        /// <summary>Per-action limits; set them from GetInfo (max_move_m, max_turn_deg). A long
        /// frame hitch would otherwise make an action the daemon refuses as absurd.</summary>
        public double MaxMoveM = 100;
        public double MaxTurnDeg = 360;
    }

    public static class CameraInputMapper
    {
        /// <summary>The relative action for one frame of input lasting <paramref name="deltaTimeS"/>
        /// seconds; check <see cref="CameraAction.IsIdle"/> before sending.</summary>
        public static CameraAction Map(CameraInputSample input, double deltaTimeS, CameraInputSettings settings)
        {
            if (deltaTimeS < 0 || double.IsNaN(deltaTimeS) || double.IsInfinity(deltaTimeS))
                throw new ArgumentException("deltaTimeS must be a finite, non-negative number of seconds");
            double speed = settings.MoveSpeedMps * (input.SpeedMultiplier > 0 ? input.SpeedMultiplier : 1) * deltaTimeS;
            double turn = settings.TurnSpeedDegPerS * deltaTimeS;
            double mouseY = settings.InvertMouseY ? -input.MouseDeltaY : input.MouseDeltaY;
            return new CameraAction
            {
                MoveRightM = Clamp(Axis(input.Right) * speed, settings.MaxMoveM),
                MoveUpM = Clamp(Axis(input.Up) * speed, settings.MaxMoveM),
                MoveForwardM = Clamp(Axis(input.Forward) * speed, settings.MaxMoveM),
                TurnYawDeg = Clamp(-(Axis(input.LookRight) * turn + input.MouseDeltaX * settings.MouseDegPerPixel), settings.MaxTurnDeg),
                TurnPitchDeg = Clamp(Axis(input.LookUp) * turn + mouseY * settings.MouseDegPerPixel, settings.MaxTurnDeg),
                TurnRollDeg = Clamp(Axis(input.Roll) * turn, settings.MaxTurnDeg),
            };
        }

        // Diagonal keys or a worn stick may read past 1; speed is a per-axis maximum.
        static double Axis(double value)
        {
            return double.IsNaN(value) ? 0 : Math.Max(-1, Math.Min(1, value));
        }

        static double Clamp(double value, double limit)
        {
            if (double.IsNaN(value)) return 0;
            return Math.Max(-limit, Math.Min(limit, value));
        }
    }
}
